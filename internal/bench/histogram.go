package bench

import (
	"math/bits"
	"time"
)

// subBuckets per power of two: each bucket is at most 1/128 (0.8%) wide,
// finer than run-to-run noise, so quantiles are as good as exact.
const (
	subBits    = 7
	subBuckets = 1 << subBits
	// maxLatency bounds what is recorded; slower requests count as this.
	maxLatency = time.Hour
)

// histogram counts latencies in log-linear buckets (as HdrHistogram does),
// so memory stays fixed however many requests a run makes.
type histogram struct {
	counts []uint64
	total  uint64
	min    time.Duration
	max    time.Duration
}

func newHistogram() *histogram {
	return &histogram{counts: make([]uint64, bucketOf(maxLatency)+1)}
}

// bucketOf maps a duration in ns to its bucket: exact below 2·subBuckets
// ns, then subBuckets buckets for each further power of two.
func bucketOf(d time.Duration) int {
	v := uint64(min(max(d, 0), maxLatency))
	if v < 2*subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return (shift+1)*subBuckets + int(v>>shift) - subBuckets
}

// bucketMid is the middle of bucket i, the value a quantile reports.
func bucketMid(i int) time.Duration {
	if i < 2*subBuckets {
		return time.Duration(i)
	}
	shift := i/subBuckets - 1
	low := uint64(i%subBuckets+subBuckets) << shift
	return time.Duration(low + (uint64(1)<<shift)/2)
}

func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(d)]++
	if h.total == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.total++
}

func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, n := range o.counts {
		h.counts[i] += n
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
}

// quantile returns the latency below which a fraction q of requests fell,
// clamped to the observed extremes.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			return min(max(bucketMid(i), h.min), h.max)
		}
	}
	return h.max
}
