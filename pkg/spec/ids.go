package spec

import (
	"fmt"
	"regexp"
	"strings"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

const nilGUID = "00000000-0000-0000-0000-000000000000"

func isGUID(s string) bool { return guidRE.MatchString(s) }

// armKind is what an ARM ID points at, as far as galshare cares.
type armKind int

const (
	armSubscription armKind = iota + 1
	armResourceGroup
	armGallery
	armOtherResource
)

func (k armKind) String() string {
	switch k {
	case armSubscription:
		return "a subscription"
	case armResourceGroup:
		return "a resource group"
	case armGallery:
		return "a Compute Gallery"
	case armOtherResource:
		return "a resource"
	}
	return "unknown"
}

// armID is a parsed ARM resource ID, with canonical case for the fixed
// segments (ARM is case-insensitive; plans and state compare canonical IDs).
type armID struct {
	kind         armKind
	subscription string // lowercase GUID
	group        string // as written
	name         string // gallery name, as written
	canonical    string
}

var (
	// Resource group names: 1–90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'.
	rgNameRE = regexp.MustCompile(`^[\p{L}\p{N}_\-.()]{1,90}$`)
	// Gallery names: letters, digits, '_' and '.', the latter two only in the middle, at most 80.
	galleryNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.]{0,78}[A-Za-z0-9])?$`)
)

// parseARMID parses the IDs a manifest uses: subscriptions, resource groups
// and galleries (other provider resources are recognised only to say they
// are the wrong type). Errors are sentences for a diagnostic.
func parseARMID(s string) (armID, error) {
	if strings.TrimSpace(s) != s {
		return armID{}, fmt.Errorf("it has spaces at the start or end")
	}
	if !strings.HasPrefix(s, "/") {
		return armID{}, fmt.Errorf("an ARM ID starts with /subscriptions/")
	}
	if len(s) > 1 && strings.HasSuffix(s, "/") {
		return armID{}, fmt.Errorf("it ends with '/'")
	}
	segs := strings.Split(s[1:], "/")
	for _, seg := range segs {
		if seg == "" {
			return armID{}, fmt.Errorf("it has an empty segment ('//')")
		}
	}
	if !strings.EqualFold(segs[0], "subscriptions") || len(segs) < 2 {
		return armID{}, fmt.Errorf("an ARM ID starts with /subscriptions/{subscription-id}")
	}
	if !isGUID(segs[1]) {
		return armID{}, fmt.Errorf("subscription ID %s is not a GUID", quote(segs[1]))
	}
	id := armID{kind: armSubscription, subscription: strings.ToLower(segs[1])}
	id.canonical = "/subscriptions/" + id.subscription
	if len(segs) == 2 {
		return id, nil
	}
	if !strings.EqualFold(segs[2], "resourceGroups") {
		return armID{}, fmt.Errorf("expected resourceGroups after the subscription, found %s", quote(segs[2]))
	}
	if len(segs) < 4 {
		return armID{}, fmt.Errorf("the resource group name is missing")
	}
	rg := segs[3]
	if !rgNameRE.MatchString(rg) || strings.HasSuffix(rg, ".") {
		return armID{}, fmt.Errorf("resource group name %s is not valid (1-90 letters, digits, '_', '-', '.', '(', ')', not ending in '.')", quote(rg))
	}
	id.kind, id.group = armResourceGroup, rg
	id.canonical += "/resourceGroups/" + rg
	if len(segs) == 4 {
		return id, nil
	}
	if !strings.EqualFold(segs[4], "providers") || len(segs) < 8 || len(segs)%2 != 0 {
		return armID{}, fmt.Errorf("after the resource group an ARM ID continues with /providers/{namespace}/{type}/{name}")
	}
	if strings.EqualFold(segs[5], "Microsoft.Compute") && strings.EqualFold(segs[6], "galleries") && len(segs) == 8 {
		name := segs[7]
		if !galleryNameRE.MatchString(name) {
			hint := ""
			if strings.Contains(name, "-") {
				hint = " (gallery names cannot contain '-')"
			}
			return armID{}, fmt.Errorf("gallery name %s is not valid: letters, digits, '_' and '.', starting and ending with a letter or digit, at most 80%s", quote(name), hint)
		}
		id.kind, id.name = armGallery, name
		id.canonical += "/providers/Microsoft.Compute/galleries/" + name
		return id, nil
	}
	id.kind = armOtherResource
	id.canonical = s
	return id, nil
}
