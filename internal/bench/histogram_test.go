package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsAreContiguousAndOrdered(t *testing.T) {
	prev := 0
	for d := time.Duration(1); d < 10*time.Millisecond; d++ {
		b := bucketOf(d)
		if b != prev && b != prev+1 {
			t.Fatalf("bucketOf(%v) = %d after %d: buckets must neither repeat out of order nor skip", d, b, prev)
		}
		prev = b
	}
}

func TestBucketMidIsWithinOnePercent(t *testing.T) {
	for _, d := range []time.Duration{300, 999, 12345, time.Millisecond, 7 * time.Second, maxLatency} {
		mid := bucketMid(bucketOf(d))
		if diff := float64(mid-d) / float64(d); diff > 0.01 || diff < -0.01 {
			t.Errorf("bucketMid(bucketOf(%v)) = %v", d, mid)
		}
	}
}

func TestQuantilesMatchASortedSlice(t *testing.T) {
	h := newHistogram()
	var all []time.Duration
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		d := time.Duration(rng.ExpFloat64() * float64(2*time.Millisecond))
		h.record(d)
		all = append(all, d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.99} {
		want := all[int(q*float64(len(all)))]
		got := h.quantile(q)
		if diff := float64(got-want) / float64(want); diff > 0.01 || diff < -0.01 {
			t.Errorf("quantile(%v) = %v, want about %v", q, got, want)
		}
	}
}
