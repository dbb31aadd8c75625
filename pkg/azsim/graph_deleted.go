package azsim

import (
	"net/http"
	"sort"
	"strings"
)

// graphDeletedItems serves the soft-delete bin for applications:
//
//	GET    /directory/deletedItems/microsoft.graph.application   list deleted apps of the caller's tenant
//	GET    /directory/deletedItems/{id}                           one deleted app
//	DELETE /directory/deletedItems/{id}                           purge it
//	POST   /directory/deletedItems/{id}/restore                   restore it (200 with the app)
func (s *Server) graphDeletedItems(g *graphCall) {
	if len(g.segs) < 3 || !strings.EqualFold(g.segs[1].name, "deletedItems") {
		writeGraphError(g.w, g.r, http.StatusBadRequest, "BadRequest", "Resource not found for the segment 'directory'.")
		return
	}
	d := s.w.Directory
	if strings.EqualFold(g.segs[2].name, "microsoft.graph.application") && len(g.segs) == 3 {
		if g.r.Method != http.MethodGet {
			g.methodNotAllowed()
			return
		}
		if !g.canRead() {
			g.denied()
			return
		}
		var apps []*application
		for _, a := range d.Deleted {
			if strings.EqualFold(a.TenantID, g.t.ID) && g.canReadApp(a) {
				apps = append(apps, a)
			}
		}
		sort.Slice(apps, func(i, j int) bool { return apps[i].DeletedAt.Before(*apps[j].DeletedAt) })
		items := make([]map[string]any, 0, len(apps))
		for _, a := range apps {
			items = append(items, s.appJSON(a))
		}
		s.writeGraphList(g, "directory/deletedItems/microsoft.graph.application", items, appFilterProps)
		return
	}
	id := strings.ToLower(g.segs[2].name)
	app := d.Deleted[id]
	if app == nil || !strings.EqualFold(app.TenantID, g.t.ID) {
		g.notFound(g.segs[2].name)
		return
	}
	restore := len(g.segs) == 4 && strings.EqualFold(g.segs[3].name, "restore")
	switch {
	case restore && g.r.Method == http.MethodPost:
		if !g.canWriteApp(app) {
			g.denied()
			return
		}
		if app.UniqueName != "" && d.appByKey(app.TenantID, graphSeg{keyName: "uniqueName", keyValue: app.UniqueName}) != nil {
			writeGraphError(g.w, g.r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
				"Another object with the same value for property uniqueName already exists.")
			return
		}
		delete(d.Deleted, id)
		app.DeletedAt = nil
		d.putApp(app)
		s.changed()
		s.entity(g, http.StatusOK, "applications", s.appJSON(app))
	case len(g.segs) == 3 && g.r.Method == http.MethodGet:
		if !g.canReadApp(app) {
			g.denied()
			return
		}
		s.entity(g, http.StatusOK, "directory/deletedItems", s.appJSON(app))
	case len(g.segs) == 3 && g.r.Method == http.MethodDelete:
		if !g.canWriteApp(app) {
			g.denied()
			return
		}
		delete(d.Deleted, id)
		s.changed()
		g.w.WriteHeader(http.StatusNoContent)
	default:
		g.methodNotAllowed()
	}
}
