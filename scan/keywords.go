package scan

// keywordIndex finds, in one pass over the data, every place where one of
// the rules' keywords occurs, ignoring ASCII case. It is an Aho-Corasick
// automaton compiled into a dense DFA (256 transitions per state), so each
// byte costs one table load whatever the number of keywords: the regular
// expressions then run only on the few lines a keyword points at.
type keywordIndex struct {
	next []int32 // next[state<<8|byte] is the following state
	// out lists, for each state, the rules one of whose keywords ends
	// there (including keywords that are suffixes of the matched text).
	out [][]kwOut
}

// kwOut is a keyword that ends in a state: its rule and its length.
type kwOut struct{ rule, n int }

// newKeywordIndex builds the automaton. keywords[i] are the keywords of
// rule i; they are matched without regard to ASCII case.
func newKeywordIndex(keywords [][]string) *keywordIndex {
	type node struct {
		child map[byte]int32
		fail  int32
		out   []kwOut
	}
	nodes := []node{{child: map[byte]int32{}}}
	for rule, kws := range keywords {
		for _, kw := range kws {
			s := int32(0)
			for i := 0; i < len(kw); i++ {
				c := lower(kw[i])
				nxt, ok := nodes[s].child[c]
				if !ok {
					nxt = int32(len(nodes))
					nodes = append(nodes, node{child: map[byte]int32{}})
					nodes[s].child[c] = nxt
				}
				s = nxt
			}
			if o := (kwOut{rule, len(kw)}); !containsOut(nodes[s].out, o) {
				nodes[s].out = append(nodes[s].out, o)
			}
		}
	}
	// Breadth-first: fill failure links and the complete transition table.
	idx := &keywordIndex{next: make([]int32, len(nodes)*256), out: make([][]kwOut, len(nodes))}
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < 256; c++ {
		if nxt, ok := nodes[0].child[byte(c)]; ok {
			idx.next[c] = nxt
			queue = append(queue, nxt)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		for _, r := range nodes[f].out {
			if !containsOut(nodes[s].out, r) {
				nodes[s].out = append(nodes[s].out, r)
			}
		}
		for c := 0; c < 256; c++ {
			if nxt, ok := nodes[s].child[byte(c)]; ok {
				nodes[nxt].fail = idx.next[int(f)<<8|c]
				idx.next[int(s)<<8|c] = nxt
				queue = append(queue, nxt)
			} else {
				idx.next[int(s)<<8|c] = idx.next[int(f)<<8|c]
			}
		}
	}
	// Fold case: an upper-case letter moves like its lower-case form.
	for s := range nodes {
		for c := 'A'; c <= 'Z'; c++ {
			idx.next[s<<8|int(c)] = idx.next[s<<8|int(c+'a'-'A')]
		}
		idx.out[s] = nodes[s].out
	}
	return idx
}

// hit is a keyword of rule Rule at data[Start:End].
type hit struct {
	Rule, Start, End int
}

// find appends to hits every keyword occurrence in data, in order of end
// offset, and returns the extended slice.
func (k *keywordIndex) find(data []byte, hits []hit) []hit {
	next, out := k.next, k.out
	s := int32(0)
	for i, c := range data {
		s = next[int(s)<<8|int(c)]
		if o := out[s]; o != nil {
			for _, k := range o {
				hits = append(hits, hit{Rule: k.rule, Start: i + 1 - k.n, End: i + 1})
			}
		}
	}
	return hits
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func containsOut(s []kwOut, v kwOut) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
