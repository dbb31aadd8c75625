package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
)

// BlobState is galshare's state in Azure Blob Storage: the state blob,
// read and written by ETag, its snapshots, and the lock blob
// (<blob>.lock) whose lease serialises writers and whose metadata names
// the holder. It moves bytes only; pkg/state owns what they mean (it
// implements pkg/state's BlobStore without importing it).
type BlobState struct {
	loc   BlobLocation
	cont  *container.Client
	state *blockblob.Client
	lock  *blockblob.Client
	// sas is the SAS token in use, if any: scrubbed from every error,
	// since a transport error's text carries the request's whole URL.
	sas string
	// blockOver is the size from which writes use block lists
	// (blobstate_blocks.go).
	blockOver int
	// uploaded counts the state bytes sent by Put, for benchmarks.
	uploaded atomic.Int64

	// mu guards committed: the block IDs of the state blob as this client
	// last committed it (nil: unknown, stage every chunk).
	mu            sync.Mutex
	committed     map[string]bool
	committedETag string
}

// UploadedBytes is how many state bytes Put has sent so far.
func (b *BlobState) UploadedBytes() int64 { return b.uploaded.Load() }

// String is the state blob's URL.
func (b *BlobState) String() string { return b.loc.URL() }

// Location is where the state blob is.
func (b *BlobState) Location() BlobLocation { return b.loc }

// blobErr is a Blob service error with the condition pkg/state branches
// on (see BlobCondition).
type blobErr struct {
	cond string
	err  error
}

func (e *blobErr) Error() string { return e.err.Error() }
func (e *blobErr) Unwrap() error { return e.err }

// BlobCondition names the failed condition: "modified", "lease-held" or
// "lease-lost" (pkg/state's BlobModified, BlobLeaseHeld, BlobLeaseLost).
func (e *blobErr) BlobCondition() string { return e.cond }

// scrubbed is an error whose text had the SAS token removed.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub removes the SAS signature from err's text (however the query was
// re-ordered or escaped); the other SAS fields are not secret.
func (b *BlobState) scrub(err error) error {
	if err == nil || b.sas == "" {
		return err
	}
	q, perr := url.ParseQuery(b.sas)
	sig := q.Get("sig")
	if perr != nil || sig == "" {
		sig = b.sas
	}
	msg := err.Error()
	clean := msg
	for _, s := range []string{sig, url.QueryEscape(sig), b.sas} {
		clean = strings.ReplaceAll(clean, s, "REDACTED")
	}
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

// classifyBlob wraps err with the condition it reports, and turns a
// missing right into a message naming the role. The SAS is scrubbed.
func (b *BlobState) classifyBlob(err error) error {
	err = b.scrub(err)
	switch {
	case err == nil:
		return nil
	case bloberror.HasCode(err, bloberror.ConditionNotMet, bloberror.BlobAlreadyExists, bloberror.TargetConditionNotMet):
		return &blobErr{cond: "modified", err: err}
	case bloberror.HasCode(err, bloberror.LeaseAlreadyPresent):
		return &blobErr{cond: "lease-held", err: err}
	case bloberror.HasCode(err, bloberror.LeaseIDMismatchWithLeaseOperation, bloberror.LeaseNotPresentWithLeaseOperation,
		bloberror.LeaseLost, bloberror.LeaseIDMismatchWithBlobOperation, bloberror.LeaseNotPresentWithBlobOperation,
		bloberror.LeaseIsBrokenAndCannotBeRenewed, bloberror.LeaseIsBreakingAndCannotBeChanged, bloberror.LeaseIsBreakingAndCannotBeAcquired):
		return &blobErr{cond: "lease-lost", err: err}
	case bloberror.HasCode(err, bloberror.AuthorizationPermissionMismatch, bloberror.AuthorizationFailure, bloberror.InsufficientAccountPermissions):
		return fmt.Errorf("%s: the operator may not use container %q of storage account %q: grant the role Storage Blob Data Contributor on that container (docs/permissions.md): %w", b, b.loc.Container, b.loc.Account, err)
	}
	return err
}

// Get reads the state blob, or one snapshot: bytes and ETag; a missing
// blob or container is (nil, "", nil).
func (b *BlobState) Get(ctx context.Context, snapshot string) ([]byte, string, error) {
	c := b.state.BlobClient()
	if snapshot != "" {
		var err error
		if c, err = c.WithSnapshot(snapshot); err != nil {
			return nil, "", fmt.Errorf("snapshot %q: %w", snapshot, err)
		}
	}
	resp, err := c.DownloadStream(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", b.classifyBlob(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", b, b.scrub(err))
	}
	if data == nil {
		data = []byte{}
	}
	return data, etagString(resp.ETag), nil
}

// Put uploads data as the state blob if its ETag is still ifMatch (""
// means: only if none exists), creating the container when missing.
func (b *BlobState) Put(ctx context.Context, data []byte, ifMatch string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ifMatch != "" && len(data) >= b.blockOver {
		etag, n, err := b.putBlocks(ctx, data, ifMatch)
		b.uploaded.Add(int64(n))
		return etag, err
	}
	b.committed, b.committedETag = nil, "" // a whole upload leaves no block list to reuse
	b.uploaded.Add(int64(len(data)))
	cond := &blob.ModifiedAccessConditions{}
	if ifMatch == "" {
		none := azcore.ETagAny
		cond.IfNoneMatch = &none
	} else {
		m := azcore.ETag(ifMatch)
		cond.IfMatch = &m
	}
	upload := func() (blockblob.UploadResponse, error) {
		return b.state.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
			HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: ptr("application/json")},
			AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: cond},
		})
	}
	resp, err := upload()
	if bloberror.HasCode(err, bloberror.ContainerNotFound) && ifMatch == "" {
		if cerr := b.createContainer(ctx); cerr != nil {
			return "", cerr
		}
		resp, err = upload()
	}
	if err != nil {
		return "", b.classifyBlob(err)
	}
	return etagString(resp.ETag), nil
}

// Snapshot keeps the state blob's current content as a snapshot, if its
// ETag is still ifMatch.
func (b *BlobState) Snapshot(ctx context.Context, ifMatch string) (string, error) {
	m := azcore.ETag(ifMatch)
	resp, err := b.state.CreateSnapshot(ctx, &blob.CreateSnapshotOptions{
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &m}},
	})
	if err != nil {
		return "", b.classifyBlob(err)
	}
	return derefOf(resp.Snapshot), nil
}

// Snapshots lists the state blob's snapshot ids, oldest first.
func (b *BlobState) Snapshots(ctx context.Context) ([]string, error) {
	name := b.loc.Blob
	pager := b.cont.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{
		Prefix: &name, Include: container.ListBlobsInclude{Snapshots: true},
	})
	var out []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, b.classifyBlob(err)
		}
		for _, it := range page.Segment.BlobItems {
			if derefOf(it.Name) == name && derefOf(it.Snapshot) != "" {
				out = append(out, derefOf(it.Snapshot))
			}
		}
	}
	slices.Sort(out) // snapshot ids are UTC timestamps of fixed width
	return out, nil
}

// AcquireLease leases the lock blob with lease id, creating the blob (and
// the container) if missing, then records meta on it under the lease.
func (b *BlobState) AcquireLease(ctx context.Context, id string, seconds int32, meta map[string]string) error {
	lc, err := lease.NewBlobClient(b.lock, &lease.BlobClientOptions{LeaseID: &id})
	if err != nil {
		return fmt.Errorf("lease client: %w", err)
	}
	_, err = lc.AcquireLease(ctx, seconds, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		if cerr := b.createLockBlob(ctx); cerr != nil {
			return cerr
		}
		_, err = lc.AcquireLease(ctx, seconds, nil)
	}
	if err != nil {
		return b.classifyBlob(err)
	}
	md := make(map[string]*string, len(meta))
	for k, v := range meta {
		md[k] = ptr(v)
	}
	if _, err := b.lock.SetMetadata(ctx, md, &blob.SetMetadataOptions{
		AccessConditions: &blob.AccessConditions{LeaseAccessConditions: &blob.LeaseAccessConditions{LeaseID: &id}},
	}); err != nil {
		_, _ = lc.ReleaseLease(context.WithoutCancel(ctx), nil)
		return fmt.Errorf("recording the lock holder on %s.lock: %w", b, b.classifyBlob(err))
	}
	return nil
}

// createLockBlob makes the empty lock blob, and the container before it
// when missing. A lock blob that appeared meanwhile is fine.
func (b *BlobState) createLockBlob(ctx context.Context) error {
	none := azcore.ETagAny
	up := func() error {
		_, err := b.lock.Upload(ctx, streaming.NopCloser(bytes.NewReader(nil)), &blockblob.UploadOptions{
			AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &none}},
		})
		return err
	}
	err := up()
	if bloberror.HasCode(err, bloberror.ContainerNotFound) {
		if cerr := b.createContainer(ctx); cerr != nil {
			return cerr
		}
		err = up()
	}
	if err == nil || bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet, bloberror.LeaseIDMissing) {
		return nil
	}
	return fmt.Errorf("creating the lock blob %s.lock: %w", b, b.classifyBlob(err))
}

// createContainer creates the state's container, saying which right is
// missing when the operator may not.
func (b *BlobState) createContainer(ctx context.Context) error {
	_, err := b.cont.Create(ctx, nil)
	err = b.scrub(err)
	if err == nil || bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return nil
	}
	if bloberror.HasCode(err, bloberror.AuthorizationPermissionMismatch, bloberror.AuthorizationFailure, bloberror.InsufficientAccountPermissions) {
		return fmt.Errorf("container %q does not exist in storage account %q and the operator may not create it: create it, or grant Storage Blob Data Contributor on the account (docs/permissions.md): %w", b.loc.Container, b.loc.Account, err)
	}
	return fmt.Errorf("creating container %q in storage account %q: %w", b.loc.Container, b.loc.Account, err)
}

// RenewLease renews the lock blob's lease id.
func (b *BlobState) RenewLease(ctx context.Context, id string) error {
	lc, err := lease.NewBlobClient(b.lock, &lease.BlobClientOptions{LeaseID: &id})
	if err != nil {
		return fmt.Errorf("lease client: %w", err)
	}
	_, err = lc.RenewLease(ctx, nil)
	return b.classifyBlob(err)
}

// ReleaseLease gives up the lock blob's lease id.
func (b *BlobState) ReleaseLease(ctx context.Context, id string) error {
	lc, err := lease.NewBlobClient(b.lock, &lease.BlobClientOptions{LeaseID: &id})
	if err != nil {
		return fmt.Errorf("lease client: %w", err)
	}
	_, err = lc.ReleaseLease(ctx, nil)
	return b.classifyBlob(err)
}

// BreakLease ends the lock blob's lease at once.
func (b *BlobState) BreakLease(ctx context.Context) error {
	lc, err := lease.NewBlobClient(b.lock, nil)
	if err != nil {
		return fmt.Errorf("lease client: %w", err)
	}
	_, err = lc.BreakLease(ctx, &lease.BlobBreakOptions{BreakPeriod: ptr(int32(0))})
	return b.classifyBlob(err)
}

// LockStatus reads whether the lock blob is leased and its metadata.
func (b *BlobState) LockStatus(ctx context.Context) (bool, map[string]string, error) {
	resp, err := b.lock.GetProperties(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return false, nil, nil
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return false, nil, nil // HEAD answers carry no error code
	}
	if err != nil {
		return false, nil, b.classifyBlob(err)
	}
	meta := make(map[string]string, len(resp.Metadata))
	for k, v := range resp.Metadata {
		meta[strings.ToLower(k)] = derefOf(v)
	}
	leased := resp.LeaseState != nil && string(*resp.LeaseState) == "leased"
	return leased, meta, nil
}

func etagString(e *azcore.ETag) string {
	if e == nil {
		return ""
	}
	return string(*e)
}

func ptr[T any](v T) *T { return &v }

func derefOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// blobClientOptions are the SDK options for the state's clients: unless
// base sets MaxRetries, a few quick retries (a state write is retried by the operator, not for
// minutes) and galshare's user agent.
func blobClientOptions(base azcore.ClientOptions) *container.ClientOptions {
	if base.Retry.MaxRetries == 0 {
		base.Retry = policy.RetryOptions{MaxRetries: 3}
	}
	return &container.ClientOptions{ClientOptions: base}
}
