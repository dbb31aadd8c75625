package spec

import (
	"fmt"
	"strings"
)

// reservedConsumerName is the name the planner uses for the publisher
// tenant's service principal (sp[publisher]).
const reservedConsumerName = "publisher"

var accesses = []string{string(AccessManaged), string(AccessManual)}

func (c *checker) checkConsumers(items []any, path string) {
	names := map[string]int{}
	tenants := map[string]int{}
	for i, it := range items {
		m := obj(it)
		if m == nil {
			continue
		}
		p := indexPath(path, i)
		con := Consumer{Access: AccessManaged}
		rawName, _ := str(m, "name")
		ok := true
		if s, isStr := str(m, "name"); isStr {
			switch j, dup := names[s]; {
			case !nameRE.MatchString(s):
				c.errorf(childPath(p, "name"), CodeName,
					"use lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters, e.g. fabrikam",
					"consumer name %s is not valid", quote(s))
				ok = false
			case s == reservedConsumerName:
				c.errorf(childPath(p, "name"), CodeName, "pick another name; plans address the publisher tenant's service principal as sp[publisher]",
					"consumer name %q is reserved", s)
				ok = false
			case dup:
				c.errorf(childPath(p, "name"), CodeDuplicate, "consumer names must be unique: plans address consumers by name, e.g. sp[NAME]",
					"consumer name %q is already used by consumers[%d]", s, j)
				ok = false
			default:
				names[s] = i
				con.Name = s
			}
		}
		if s, isStr := str(m, "tenant"); isStr {
			if t, tok := c.checkTenant(childPath(p, "tenant"), s); tok {
				switch j, dup := tenants[t]; {
				case t == c.manifest.Publisher.Tenant:
					c.errorf(childPath(p, "tenant"), CodePublisherTenant,
						"the publisher tenant already has the app; grant extra roles there with Azure RBAC, or remove this consumer",
						"consumer %s is the publisher tenant", consumerLabel(rawName, i))
					ok = false
				case dup:
					c.errorf(childPath(p, "tenant"), CodeDuplicate, "merge the two consumers' grants into one entry",
						"tenant %s is already the tenant of consumers[%d]", t, j)
					ok = false
				default:
					tenants[t] = i
					con.Tenant = t
				}
			} else {
				ok = false
			}
		}
		if s, isStr := str(m, "access"); isStr {
			if contains(accesses, s) {
				con.Access = Access(s)
			} else {
				hint := "managed: galshare acts in the tenant with its own credentials; manual: plan prints what a human must do"
				if m := closest(s, accesses); m != "" {
					hint = "did you mean " + m + "? " + hint
				}
				c.errorf(childPath(p, "access"), CodeAccess, hint, "access %s is not managed or manual", quote(s))
				ok = false
			}
		}
		grants, gok := c.checkGrants(list(m["grants"]), childPath(p, "grants"))
		con.Grants = grants
		if g, present := m["grants"]; !present || (list(g) != nil && len(list(g)) == 0) {
			c.warnf(p, CodeNoGrants, "add a grant such as Contributor on the resource group where VMs are created",
				"consumer %s has no grants: its service principal can read the images but cannot create VMs", consumerLabel(rawName, i))
		}
		if ok && gok {
			c.manifest.Consumers = append(c.manifest.Consumers, con)
		}
	}
}

func consumerLabel(name string, i int) string {
	if name != "" {
		return quote(name)
	}
	return fmt.Sprintf("consumers[%d]", i)
}

func (c *checker) checkGrants(items []any, path string) ([]Grant, bool) {
	var out []Grant
	allOK := true
	seen := map[string]int{}
	for i, it := range items {
		m := obj(it)
		if m == nil {
			allOK = false
			continue
		}
		p := indexPath(path, i)
		g := Grant{}
		ok, atSubscription := true, false
		if s, isStr := str(m, "scope"); isStr {
			id, err := parseARMID(s)
			switch {
			case err != nil:
				c.errorf(childPath(p, "scope"), CodeARMID,
					"a grant scope is /subscriptions/{sub} or /subscriptions/{sub}/resourceGroups/{rg}",
					"scope %s is not a valid ARM ID: %v", quote(s), err)
				ok = false
			case id.kind != armSubscription && id.kind != armResourceGroup:
				c.errorf(childPath(p, "scope"), CodeARMID,
					"grant scopes are subscriptions or resource groups in the consumer tenant; galleries belong under publisher.galleries",
					"scope %s is %s, not a subscription or resource group", quote(s), id.kind)
				ok = false
			default:
				g.Scope = id.canonical
				atSubscription = id.kind == armSubscription
			}
		} else {
			ok = false
		}
		if s, isStr := str(m, "role"); isStr {
			if r, rok := c.checkRole(childPath(p, "role"), s); rok {
				g.Role = r
			} else {
				ok = false
			}
		} else {
			ok = false
		}
		if !ok {
			allOK = false
			continue
		}
		key := strings.ToLower(g.Scope) + "|" + g.Role.DefinitionGUID
		if j, dup := seen[key]; dup {
			c.errorf(p, CodeDuplicate, "remove the repeat", "grant %s on %s is listed twice (also grants[%d])", g.Role, g.Scope, j)
			allOK = false
			continue
		}
		seen[key] = i
		if atSubscription {
			c.checkBroadGrant(childPath(p, "role"), g)
		}
		out = append(out, g)
	}
	return out, allOK
}

// checkSubscriptions enforces that a subscription belongs to one tenant: a
// subscription that holds a publisher gallery cannot be a consumer's grant
// scope, and two consumers cannot share one.
func (c *checker) checkSubscriptions() {
	owner := map[string]string{} // subscription → "publisher" or consumer label
	ownerTenant := map[string]string{}
	for _, g := range c.manifest.Publisher.Galleries {
		owner[g.SubscriptionID] = "the publisher tenant (gallery " + g.Name + ")"
		ownerTenant[g.SubscriptionID] = c.manifest.Publisher.Tenant
	}
	type use struct {
		path, sub, tenant, label string
	}
	var uses []use
	cons := list(c.root["consumers"])
	for i, it := range cons {
		m := obj(it)
		tenant, _ := str(m, "tenant")
		if !isGUID(tenant) {
			continue // already reported; comparing it would only add noise
		}
		name, _ := str(m, "name")
		for j, gi := range list(m["grants"]) {
			s, _ := str(obj(gi), "scope")
			id, err := parseARMID(s)
			if err != nil || (id.kind != armSubscription && id.kind != armResourceGroup) {
				continue
			}
			uses = append(uses, use{
				path: childPath(indexPath(childPath(indexPath("consumers", i), "grants"), j), "scope"),
				sub:  id.subscription, tenant: strings.ToLower(tenant), label: "consumer " + consumerLabel(name, i),
			})
		}
	}
	for _, u := range uses {
		t, seen := ownerTenant[u.sub]
		if !seen {
			owner[u.sub], ownerTenant[u.sub] = u.label, u.tenant
			continue
		}
		if t != u.tenant && t != "" && u.tenant != "" {
			c.errorf(u.path, CodeSubscription,
				"a subscription belongs to exactly one Entra tenant; check the subscription ID or the tenant",
				"subscription %s is used by %s and by %s, which are different tenants", u.sub, owner[u.sub], u.label)
		}
	}
}
