package bench

import "fmt"

// NewUrsaFilter is a placeholder until Ursa's Filter API lands.
func NewUrsaFilter(_ *Fixture, policy string) (Filterer, error) {
	return nil, fmt.Errorf("ursa: Filter is not available yet")
}
