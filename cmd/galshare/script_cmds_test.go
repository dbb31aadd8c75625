package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/galshare/galshare/pkg/azure"
)

// scriptCommands are the testscript commands that act on the simulator
// directly, the way a person in the portal would.
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"handmade-app": cmdHandmadeApp,
	}
}

// handmade-app CLOUDFILE TENANT DISPLAYNAME VAR registers an app with that
// display name in the tenant as the portal would (no galshare uniqueName,
// no galshare marker) and sets $VAR to its appId.
func cmdHandmadeApp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: handmade-app CLOUDFILE TENANT DISPLAYNAME VAR")
	}
	env, err := azure.LoadCloudFile(ts.MkAbs(args[0]))
	ts.Check(err)
	conn, err := azure.NewConnector(azure.Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false }})
	ts.Check(err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := conn.Directory(ctx, args[1])
	ts.Check(err)
	app, _, err := d.UpsertApplication(ctx, azure.ApplicationSpec{UniqueName: "registered-in-the-portal",
		DisplayName: args[2], SignInAudience: "AzureADMultipleOrgs", RedirectURIs: []string{"https://www.microsoft.com"}})
	ts.Check(err)
	ts.Setenv(args[3], app.AppID)
	fmt.Fprintf(ts.Stdout(), "registered %s as appId %s\n", args[2], app.AppID)
}
