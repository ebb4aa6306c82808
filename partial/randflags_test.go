package partial_test

import "flag"

func init() {
	flag.Int64Var(&randSeed, "randseed", randSeed, "seed of the random-policy tests")
	flag.IntVar(&randPolicies, "randpolicies", randPolicies, "number of random policies per random-policy test")
}
