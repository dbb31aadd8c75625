package main

import (
	"io"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/termtext"
)

// liveView is the terminal view: one spinner line per action while it runs,
// showing its latest progress (a retry, a replication poll), then its
// outcome and duration. Bars stay on screen when done so the whole apply is
// visible at the end.
type liveView struct {
	p     *mpb.Progress
	bars  map[string]*liveBar
	color bool
}

type liveBar struct {
	bar    *mpb.Bar
	status atomic.Pointer[string]
}

// newLiveView renders to w. Auto refresh is forced: the view is only chosen
// for a terminal, and forcing it keeps the rendering testable with a buffer
// (tests pass mpb.WithWidth, the line width used when w is no terminal).
func newLiveView(w io.Writer, color bool, opts ...mpb.ContainerOption) *liveView {
	opts = append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithAutoRefresh()}, opts...)
	return &liveView{p: mpb.New(opts...), bars: map[string]*liveBar{}, color: color}
}

func (v *liveView) bar(address string) *liveBar {
	if b, ok := v.bars[address]; ok {
		return b
	}
	lb := &liveBar{}
	lb.set("starting")
	lb.bar = v.p.New(1, mpb.SpinnerStyle("⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏").PositionLeft(),
		mpb.BarFillerOnComplete("✓"),
		mpb.BarFillerOnAbort("✗"),
		mpb.PrependDecorators(decor.Name(" "+termtext.Escape(address), decor.WC{C: decor.DindentRight | decor.DextraSpace})),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string { return *lb.status.Load() }, decor.WC{C: decor.DextraSpace}),
			decor.OnComplete(decor.Elapsed(decor.ET_STYLE_GO), ""),
		),
	)
	v.bars[address] = lb
	return lb
}

// set shows s; callers escape what came from the plan or Azure (termtext)
// and add colour around it.
func (b *liveBar) set(s string) { b.status.Store(&s) }

func (v *liveView) Event(ev executor.Event) {
	if quiet(ev) {
		return
	}
	switch ev.Type {
	case executor.EventStart:
		v.bar(ev.Address).set(termtext.Escape(ev.Message))
	case executor.EventProgress:
		v.bar(ev.Address).set(termtext.Escape(ev.Message))
	case executor.EventComplete:
		b := v.bar(ev.Address)
		b.set(termtext.Escape(outcome(ev)) + " " + round(ev.DurationMS))
		if ev.Status == "succeeded" {
			b.bar.SetCurrent(1)
		} else {
			b.bar.Abort(false)
		}
	case executor.EventError:
		b := v.bar(ev.Address)
		b.set(v.paint(termtext.Escape(ev.Status)) + ": " + termtext.Escape(ev.Error))
		b.bar.Abort(false)
	}
}

func (v *liveView) paint(s string) string {
	if !v.color {
		return s
	}
	return "\x1b[31m" + s + "\x1b[0m"
}

// Close ends every bar still running (an interrupted apply) and waits for
// the final render.
func (v *liveView) Close() {
	for _, b := range v.bars {
		if !b.bar.Completed() && !b.bar.Aborted() {
			b.bar.Abort(false)
		}
	}
	v.p.Wait()
}
