package spec

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	// Image definition names: letters, digits, '.', '-', '_', starting and
	// ending with a letter or digit, at most 80.
	imageNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$`)
	// Image versions are Major.Minor.Patch, each a 32-bit integer.
	imageVersionRE = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)$`)
)

func (c *checker) checkGalleries(items []any, path string) {
	byName := map[string]int{}
	for i, it := range items {
		g := obj(it)
		if g == nil {
			continue
		}
		p := indexPath(path, i)
		gal := Gallery{}
		ok := true
		if s, isStr := str(g, "id"); isStr {
			id, err := parseARMID(s)
			switch {
			case err != nil:
				c.errorf(childPath(p, "id"), CodeARMID,
					"a gallery ID looks like /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{name} (Azure portal: gallery > JSON View)",
					"gallery ID %s is not valid: %v", quote(s), err)
				ok = false
			case id.kind != armGallery:
				c.errorf(childPath(p, "id"), CodeARMID,
					"a gallery ID ends in /providers/Microsoft.Compute/galleries/{name}; subscriptions and resource groups are grant scopes under consumers",
					"gallery ID %s is %s, not a Compute Gallery", quote(s), id.kind)
				ok = false
			default:
				gal.ID, gal.SubscriptionID, gal.ResourceGroup, gal.Name = id.canonical, id.subscription, id.group, id.name
				key := strings.ToLower(id.name)
				if j, dup := byName[key]; dup {
					c.errorf(childPath(p, "id"), CodeDuplicate,
						"gallery names must be unique in a manifest because plan addresses use them (gallery[NAME])",
						"gallery name %q is already used by publisher.galleries[%d]", id.name, j)
					ok = false
				} else {
					byName[key] = i
				}
			}
		} else {
			ok = false
		}
		gal.Role = Role{Name: DefaultGalleryRole, DefinitionGUID: builtinRoles[0].guid}
		if s, isStr := str(g, "role"); isStr {
			if r, rok := c.checkRole(childPath(p, "role"), s); rok {
				gal.Role = r
			} else {
				ok = false
			}
		}
		gal.WaitFor = c.checkWaitFor(list(g["waitFor"]), childPath(p, "waitFor"))
		if ok {
			c.manifest.Publisher.Galleries = append(c.manifest.Publisher.Galleries, gal)
		}
	}
}

func (c *checker) checkWaitFor(items []any, path string) []ImageVersionRef {
	var out []ImageVersionRef
	seen := map[string]int{}
	for i, it := range items {
		w := obj(it)
		if w == nil {
			continue
		}
		p := indexPath(path, i)
		ref := ImageVersionRef{}
		ok := true
		if s, isStr := str(w, "image"); isStr {
			if imageNameRE.MatchString(s) {
				ref.Image = s
			} else {
				c.errorf(childPath(p, "image"), CodeImageVersion,
					"image definition names use letters, digits, '.', '-' and '_', start and end with a letter or digit, at most 80 characters",
					"image name %s is not valid", quote(s))
				ok = false
			}
		}
		if s, isStr := str(w, "version"); isStr {
			if validImageVersion(s) {
				ref.Version = s
			} else {
				c.errorf(childPath(p, "version"), CodeImageVersion,
					"image versions are Major.Minor.Patch with whole numbers, e.g. 1.0.0 (\"latest\" is not a version to wait for)",
					"image version %s is not valid", quote(s))
				ok = false
			}
		}
		if !ok || ref.Image == "" || ref.Version == "" {
			continue
		}
		key := strings.ToLower(ref.Image) + "/" + ref.Version
		if j, dup := seen[key]; dup {
			c.errorf(p, CodeDuplicate, "remove the repeat", "image version %s/%s is listed twice (also entry %d)", ref.Image, ref.Version, j)
			continue
		}
		seen[key] = i
		out = append(out, ref)
	}
	return out
}

func validImageVersion(s string) bool {
	m := imageVersionRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	for _, part := range m[1:] {
		if _, err := strconv.ParseInt(part, 10, 32); err != nil {
			return false
		}
	}
	return true
}
