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
//     table-tested without a network;
//   - the renderers (text, JSON, markdown) and the saved-plan file format.
//
// The planner never writes to Azure and never holds a secret value: before
// and after maps carry displayable attributes only, and a password is known
// by its keyId, hint and expiry.
//
// There is no API-compatibility promise for importers outside galshare; the
// types change with the CLI.
package planner
