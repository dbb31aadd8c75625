package executor

import (
	"context"
	"fmt"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// sink is where a new secret value goes, chosen by the plan's Delivery kind:
// a private file (deliver.go) or a Key Vault secret. Every method names the
// target in errors, never the value.
type sink interface {
	// deliver hands the document over; the string says where it went (for
	// the progress line), e.g. a Key Vault version.
	deliver(ctx context.Context, doc azure.DeliveredSecret) (string, error)
	// deliveredKeyID is the keyId of the secret the target holds now, ""
	// when none or unreadable: how an interrupted run's password is known
	// to have reached its target.
	deliveredKeyID(ctx context.Context) string
}

// sinkFor picks the sink of a delivery. tenant is the publisher's, whose
// credentials open the vault.
func (r *run) sinkFor(ctx context.Context, tenant string, to planner.Delivery) (sink, error) {
	switch to.Kind {
	case spec.DeliveryKeyVault:
		if r.opts.Vaults == nil {
			return nil, fmt.Errorf("%w %q: this run has no Key Vault access", ErrUnsupportedDelivery, to.Kind)
		}
		if to.VaultURL == "" || to.SecretName == "" {
			return nil, fmt.Errorf("%w: keyvault delivery without a vault URL or secret name", ErrUnsupportedDelivery)
		}
		kv, err := r.opts.Vaults.KeyVault(ctx, tenant, to.VaultURL)
		if err != nil {
			return nil, err
		}
		return vaultSink{kv: kv, to: to}, nil
	default:
		return fileSink{to: to}, nil
	}
}

// fileSink is the file delivery of deliver.go.
type fileSink struct{ to planner.Delivery }

func (f fileSink) deliver(_ context.Context, doc azure.DeliveredSecret) (string, error) {
	return f.to.String(), deliver(f.to, doc)
}

func (f fileSink) deliveredKeyID(context.Context) string { return deliveredKeyID(f.to) }

// vaultSink writes each secret as a new version of one Key Vault secret.
type vaultSink struct {
	kv azure.SecretVault
	to planner.Delivery
}

func (v vaultSink) deliver(ctx context.Context, doc azure.DeliveredSecret) (string, error) {
	version, err := v.kv.PutClientSecret(ctx, v.to.SecretName, doc)
	if err != nil {
		return "", fmt.Errorf("delivering to %s: %w", v.to, err)
	}
	return v.to.String() + " as version " + version, nil
}

func (v vaultSink) deliveredKeyID(ctx context.Context) string {
	d, err := v.kv.GetClientSecret(ctx, v.to.SecretName)
	if err != nil {
		return ""
	}
	return d.KeyID
}

// currentDeliveredKeyID is the keyId the change's target holds ("" when none).
func (r *run) currentDeliveredKeyID(ctx context.Context, tenant string, to planner.Delivery) string {
	s, err := r.sinkFor(ctx, tenant, to)
	if err != nil {
		return ""
	}
	return s.deliveredKeyID(ctx)
}

// retireVaultSecret disables the vault's current version when it holds the
// password just removed, as a file holding it is removed: a reader must not
// pick up a dead secret. Failure only warns; the password is gone anyway.
func (r *run) retireVaultSecret(ctx context.Context, c *planner.Change, to planner.Delivery, keyID string) {
	s, err := r.sinkFor(ctx, c.Tenant, to)
	vs, ok := s.(vaultSink)
	if err != nil || !ok {
		r.log.Warn("could not open the vault to disable the removed secret", "target", to.String(), "error", err)
		return
	}
	done, err := vs.kv.DisableClientSecret(ctx, to.SecretName, keyID)
	switch {
	case err != nil:
		r.log.Warn("could not disable the vault version of a removed password", "target", to.String(), "error", err)
	case done:
		r.progress(c, "disabled the current version of "+to.String()+": it held the removed password")
	}
}

// vaultDeliveryOf is the Key Vault target of a password being removed: the
// plan's, or (a destroy or an orphan, whose payload comes from state) the
// deliveredTo its state record names.
func vaultDeliveryOf(to planner.Delivery, rec state.Resource, inState bool) (planner.Delivery, bool) {
	if to.Kind == spec.DeliveryKeyVault {
		return to, true
	}
	if to.Kind != "" || !inState {
		return planner.Delivery{}, false
	}
	d, err := spec.ParseKeyVaultTarget(rec.Attributes["deliveredTo"])
	if err != nil {
		return planner.Delivery{}, false
	}
	return planner.Delivery{Kind: d.Kind, VaultURL: d.VaultURL, SecretName: d.SecretName}, true
}
