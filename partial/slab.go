package partial

// slab hands out elements of chunks in order, for an evaluation's unknowns,
// conditions, operands and path steps (one allocation per chunk instead of
// one per element). Elements handed out stay valid until reset; reset makes
// the chunks' memory reusable by the next evaluation, which is safe only
// once nothing refers to it any more: the evaluator resets its slabs only
// after the filter it returns was copied out (compactFilter), and drops them
// otherwise.
type slab[T any] struct {
	chunks [][]T
	cur    int // chunk being carved
	n      int // elements carved from chunks[cur]
	// poison, in tests (poisonReused), overwrites the elements handed out
	// when the slab is reset, so that a filter still pointing into the
	// slab shows garbage instead of passing by luck.
	poison T
}

// maxSlabKeep bounds the elements a pooled evaluator keeps per slab between
// evaluations (past it, a large evaluation's chunks are dropped).
const maxSlabKeep = 4096

// poisonReused makes reset write poison into reused elements (tests).
var poisonReused = false

// take returns the next k elements (zero, or as left by reset).
func (s *slab[T]) take(k int) []T {
	for {
		if s.cur < len(s.chunks) {
			if c := s.chunks[s.cur]; len(c)-s.n >= k {
				out := c[s.n : s.n+k : s.n+k]
				s.n += k
				return out
			}
			if s.cur+1 < len(s.chunks) {
				s.cur, s.n = s.cur+1, 0
				continue
			}
		}
		size := slabSize
		if len(s.chunks) > 0 {
			size = 2 * len(s.chunks[len(s.chunks)-1])
		}
		s.chunks = append(s.chunks, make([]T, max(size, k)))
		s.cur, s.n = len(s.chunks)-1, 0
	}
}

// one returns a pointer to the next element.
func (s *slab[T]) one() *T { return &s.take(1)[0] }

// reset makes every element handed out reusable, cleared (or poisoned).
func (s *slab[T]) reset() {
	var zero T
	fill := zero
	if poisonReused {
		fill = s.poison
	}
	total := 0
	for i, c := range s.chunks {
		total += len(c)
		switch {
		case i > s.cur:
			continue
		case i == s.cur:
			c = c[:s.n]
		}
		for j := range c {
			c[j] = fill
		}
	}
	if total > maxSlabKeep {
		s.chunks = nil
	}
	s.cur, s.n = 0, 0
}

// drop forgets the chunks (their elements may still be referred to).
func (s *slab[T]) drop() { s.chunks, s.cur, s.n = nil, 0, 0 }
