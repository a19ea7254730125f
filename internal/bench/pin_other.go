//go:build !linux

package bench

// PlanPinning declines: pinning and /proc are Linux-only.
func PlanPinning() Pinning { return Pinning{Why: "not Linux"} }

func pinSelf(Pinning) error { return nil }

func pinPostgres(string, Pinning) error { return nil }

func syncDisks() {}
