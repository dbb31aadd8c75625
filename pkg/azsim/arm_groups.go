package azsim

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Actions ARM checks for subscriptions and resource groups.
const (
	actRGRead  = "Microsoft.Resources/subscriptions/resourceGroups/read"
	actRGWrite = "Microsoft.Resources/subscriptions/resourceGroups/write"
)

func subscriptionJSON(sub *armSubscription) map[string]any {
	return map[string]any{
		"id":                  "/subscriptions/" + sub.ID,
		"authorizationSource": "RoleBased",
		"managedByTenants":    []any{},
		"subscriptionId":      sub.ID,
		"tenantId":            sub.Tenant,
		"displayName":         sub.DisplayName,
		"state":               "Enabled",
		"subscriptionPolicies": map[string]any{
			"locationPlacementId": "Public_2014-09-01",
			"quotaId":             "PayAsYouGo_2014-09-01",
			"spendingLimit":       "Off",
		},
	}
}

// listSubscriptions returns the subscriptions of the caller's tenant where it holds any role assignment (at, above
// or below the subscription), as ARM does.
func (s *Server) listSubscriptions(c *armCtx) armResult {
	a := s.arm()
	var out []map[string]any
	for _, k := range slices.Sorted(maps.Keys(a.Subscriptions)) {
		sub := a.Subscriptions[k]
		if !strings.EqualFold(sub.Tenant, c.caller.Tenant) {
			continue
		}
		if a.hasAnyAccessAtOrBelow(c.caller, "/subscriptions/"+sub.ID) {
			out = append(out, subscriptionJSON(sub))
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	return reply(http.StatusOK, page(c, out))
}

// getSubscription returns one subscription; a caller without any access there does not see it.
func (s *Server) getSubscription(c *armCtx) armResult {
	if !s.arm().hasAnyAccessAtOrBelow(c.caller, "/subscriptions/"+c.sub.ID) {
		return fail(errSubscriptionNotFound(c.rt.Sub))
	}
	return reply(http.StatusOK, subscriptionJSON(c.sub))
}

func resourceGroupJSON(sub *armSubscription, rg *resourceGroup) map[string]any {
	m := map[string]any{
		"id":         resourceGroupID(sub.ID, rg.Name),
		"name":       rg.Name,
		"type":       "Microsoft.Resources/resourceGroups",
		"location":   rg.Location,
		"properties": map[string]any{"provisioningState": "Succeeded"},
	}
	if len(rg.Tags) > 0 {
		m["tags"] = maps.Clone(rg.Tags)
	}
	return m
}

// listResourceGroups lists the groups the caller can read (ARM filters the list rather than failing it).
func (s *Server) listResourceGroups(c *armCtx) armResult {
	a := s.arm()
	out := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(c.sub.ResourceGroups)) {
		rg := c.sub.ResourceGroups[k]
		if a.authorize(c.caller, actRGRead, resourceGroupID(c.sub.ID, rg.Name)) {
			out = append(out, resourceGroupJSON(c.sub, rg))
		}
	}
	return reply(http.StatusOK, page(c, out))
}

// getResourceGroup serves GET and HEAD (204/404 without a body).
func (s *Server) getResourceGroup(c *armCtx) armResult {
	if e := s.check(c, actRGRead, c.r.URL.Path); e != nil {
		return fail(e)
	}
	rg := c.sub.group(c.rt.RG)
	if rg == nil {
		return fail(errResourceGroupNotFound(c.rt.RG))
	}
	if c.r.Method == http.MethodHead {
		return reply(http.StatusNoContent, nil)
	}
	return reply(http.StatusOK, resourceGroupJSON(c.sub, rg))
}

// putResourceGroup creates (201) or updates (200) a resource group.
func (s *Server) putResourceGroup(c *armCtx) armResult {
	if e := s.check(c, actRGWrite, c.r.URL.Path); e != nil {
		return fail(e)
	}
	var in struct {
		Location string            `json:"location"`
		Tags     map[string]string `json:"tags"`
	}
	if e := decodeBody(c, &in); e != nil {
		return fail(e)
	}
	if in.Location == "" {
		return fail(newARMError(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition."))
	}
	rg := c.sub.group(c.rt.RG)
	status := http.StatusOK
	if rg == nil {
		rg = &resourceGroup{Name: c.rt.RG, Location: normRegion(in.Location), Galleries: map[string]*gallery{}}
		if c.sub.ResourceGroups == nil {
			c.sub.ResourceGroups = map[string]*resourceGroup{}
		}
		c.sub.ResourceGroups[strings.ToLower(c.rt.RG)] = rg
		status = http.StatusCreated
	} else if normRegion(in.Location) != rg.Location {
		return fail(newARMError(http.StatusConflict, "InvalidResourceGroupLocation",
			"Invalid resource group location '%s'. The Resource group already exists in location '%s'.", in.Location, rg.Location))
	}
	rg.Tags = maps.Clone(in.Tags)
	s.changed()
	return reply(status, resourceGroupJSON(c.sub, rg))
}
