package planner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// encodePlanFile writes the saved-plan encoding of p to w: exactly the bytes
// of json.MarshalIndent(planFile{…}, "", "  ") plus a newline, but one change
// at a time. MarshalIndent builds the whole document, then an indented copy
// of it (at 10,000 consumers a 13 MB file cost 145 MB of allocations and
// two document-sized buffers live at once, on top of the plan); here the
// envelope is encoded without the changes and each change is indented on
// its own into one reused buffer, so the largest buffer is one change.
func encodePlanFile(w io.Writer, p *Plan) error {
	head := *p
	head.Changes = nil
	env, err := json.MarshalIndent(planFile{Kind: PlanFileKind, Plan: &head}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	// Changes is the last field and has no omitempty, so the envelope ends
	// with it; splice the changes in its place.
	const tail = "\"changes\": null\n}"
	if !bytes.HasSuffix(env, []byte(tail)) {
		return fmt.Errorf("encode plan: unexpected envelope layout")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(env[:len(env)-len(tail)])
	switch {
	case p.Changes == nil:
		bw.WriteString("\"changes\": null")
	case len(p.Changes) == 0:
		bw.WriteString("\"changes\": []")
	default:
		bw.WriteString("\"changes\": [")
		var ind bytes.Buffer // reused: MarshalIndent would allocate its own per change
		for i := range p.Changes {
			if i > 0 {
				bw.WriteByte(',')
			}
			c, err := json.Marshal(&p.Changes[i])
			if err == nil {
				ind.Reset()
				err = json.Indent(&ind, c, "    ", "  ")
			}
			if err != nil {
				return fmt.Errorf("encode plan: change %s: %w", p.Changes[i].Address, err)
			}
			bw.WriteString("\n    ")
			bw.Write(ind.Bytes())
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString("\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}
