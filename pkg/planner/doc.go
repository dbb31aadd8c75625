// Package planner turns a manifest, the live objects read from Azure and the
// state file into a Plan: a typed, ordered graph of actions that a reviewer
// reads and that the executor applies without looking at the manifest again.
//
// It owns four things:
//
//   - the plan model: [Address] (stable names used in plans, state, logs and
//     --target), [Action] (a closed enum with display symbols), [Change] (one
//     node of the graph, with a typed payload for the executor) and [Plan];
//   - Refresh ([Refresh]), the only part that performs I/O, through the narrow
//     per-tenant interfaces of pkg/azure, producing a plain [Snapshot] value;
//   - the diff ([Build]), a pure function of manifest, snapshot and state,
//     table-tested without a network. Refresh's last phase, the write
//     preflight, builds once to learn which writes the plan holds and reads
//     the operator's rights for them only (Graph token roles, ARM effective
//     permissions) into the snapshot; Build then blocks each write the
//     operator lacks the right for, naming it (preflight.go);
//   - the renderers (text, JSON, markdown) and the saved-plan file format.
//
// The planner never writes to Azure and never holds a secret value: before
// and after maps carry displayable attributes only, and a password is known
// by its keyId, hint and expiry.
//
// # Contract with the executor
//
// Plan.Changes is topologically sorted; DependsOn only names earlier changes
// (Plan.Validate checks it). Ids the plan could not know (an app created by
// an earlier change) are taken from the outputs of the change named in the
// payload: PasswordPayload.AppAddress, ServicePrincipalPayload.AppAddress,
// RoleAssignmentPayload.PrincipalFrom. No-op changes stay in the plan so their
// ids are available and their fingerprints can be checked.
//
//   - Create: make the object (payload = desired shape); record Origin
//     ("created").
//   - Update: write the fields in AppPayload.Changed (arrays whole).
//   - Delete: remove the object named by the payload's existing id (404 is
//     done) and remove the state record. Only ever planned for Origin
//     "created".
//   - Replace: create-before-destroy. Password: add the new one, deliver it,
//     then remove ReplacesKeyID. Role assignment: create the new one, then
//     delete ExistingID (the old principal's or old role's assignment).
//   - NoOp: nothing in Azure. With Adopt: record the existing object in state
//     with Origin (an object made by hand is "adopted"; one proven galshare's
//     by its marker or an open journal entry is "created"). With Forget:
//     remove the state record only (at Address; the object stays in Azure).
//   - Wait: poll the image version until Ready(); Blocked: do nothing and
//     report Blocked (apply exits 3); Read: read the object for its outputs.
//   - PreviousAddress (any action): state holds this object under that
//     address; re-key the record (or, for a Replace, drop it once the old
//     object is gone).
//
// Objects galshare creates carry markers so a lost state can be rebuilt:
// MarkerTag on apps and service principals, MarkerDescription on role
// assignments. State attributes the planner reads back are the Attr*
// constants.
//
// There is no API-compatibility promise for importers outside galshare; the
// types change with the CLI.
package planner
