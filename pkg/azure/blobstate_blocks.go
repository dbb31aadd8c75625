package azure

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
)

// Fleet-scale writes. An apply writes the state once per batch of recorded
// actions; uploading the whole state each time made a fleet's apply upload
// its state hundreds of times. A large state is therefore written as a
// block list: the bytes are cut into content-defined chunks (so one
// changed record changes one chunk, and an inserted one shifts no boundary
// elsewhere), each chunk is a block named by its hash,
// and a write stages only the chunks the blob does not already hold, then
// commits the whole list with the same If-Match condition as a plain
// upload. Readers still read one complete state: there is no journal to
// replay and nothing to compact.

const (
	// defaultBlockWriteOver is the state size from which writes use block
	// lists; smaller states are uploaded whole in one request.
	defaultBlockWriteOver = 256 << 10
	// chunkMin and chunkMax bound a chunk; between them a chunk ends where
	// the rolling hash of the last 64 bytes has chunkBits low zero bits
	// (about 16 KiB on average).
	chunkMin  = 4 << 10
	chunkMax  = 256 << 10
	chunkBits = 14
)

// chunks cuts data into content-defined chunks (a gear rolling hash, as
// in FastCDC): a cut depends only on the 64 bytes before it, so a changed
// or inserted record moves no boundary more than a chunk away. States
// above the indent limit are one compact JSON line, so lines would not do.
func chunks(data []byte) [][]byte {
	var gear [256]uint64
	x := uint64(0x9e3779b97f4a7c15)
	for i := range gear { // splitmix64: a fixed table, the same in every run
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		gear[i] = z ^ z>>31
	}
	var out [][]byte
	start := 0
	var h uint64
	for i, c := range data {
		h = h<<1 + gear[c]
		size := i + 1 - start
		// The top bits depend on all 64 bytes of the window (the low
		// ones only on the last few, too repetitive in JSON).
		if size >= chunkMax || size >= chunkMin && h>>(64-chunkBits) == 0 {
			out = append(out, data[start:i+1])
			start, h = i+1, 0
		}
	}
	if start < len(data) {
		out = append(out, data[start:])
	}
	return out
}

// blockID names a chunk by its content (all IDs of a blob have one length).
func blockID(chunk []byte) string {
	sum := sha256.Sum256(chunk)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// putBlocks replaces the state blob, if its ETag is still ifMatch, by the
// block list of data's chunks, staging only the chunks not committed by
// this client's last block write. It returns the new ETag and the bytes
// staged.
func (b *BlobState) putBlocks(ctx context.Context, data []byte, ifMatch string) (string, int, error) {
	if ifMatch != b.committedETag {
		// The blob is not the version this client committed last (another
		// writer, or an upload): its blocks are unknown, stage them all.
		b.committed = nil
	}
	parts := chunks(data)
	ids := make([]string, len(parts))
	staged := 0
	done := map[string]bool{}
	for i, p := range parts {
		id := blockID(p)
		ids[i] = id
		if b.committed[id] || done[id] {
			continue
		}
		if _, err := b.state.StageBlock(ctx, id, streaming.NopCloser(bytes.NewReader(p)), nil); err != nil {
			return "", staged, b.classifyBlob(err)
		}
		done[id] = true
		staged += len(p)
	}
	m := azcore.ETag(ifMatch)
	resp, err := b.state.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: ptr("application/json")},
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &m}},
	})
	if err != nil {
		b.committed, b.committedETag = nil, ""
		return "", staged, b.classifyBlob(err)
	}
	b.committedETag = etagString(resp.ETag)
	b.committed = make(map[string]bool, len(ids))
	for _, id := range ids {
		b.committed[id] = true
	}
	return etagString(resp.ETag), staged, nil
}
