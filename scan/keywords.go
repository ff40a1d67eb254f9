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
	out [][]int
}

// newKeywordIndex builds the automaton. keywords[i] are the keywords of
// rule i; they are matched without regard to ASCII case.
func newKeywordIndex(keywords [][]string) *keywordIndex {
	type node struct {
		child map[byte]int32
		fail  int32
		out   []int
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
			if !containsInt(nodes[s].out, rule) {
				nodes[s].out = append(nodes[s].out, rule)
			}
		}
	}
	// Breadth-first: fill failure links and the complete transition table.
	idx := &keywordIndex{next: make([]int32, len(nodes)*256), out: make([][]int, len(nodes))}
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
			if !containsInt(nodes[s].out, r) {
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

// hit is a keyword of rule Rule ending at byte offset End-1.
type hit struct {
	Rule int
	End  int
}

// find appends to hits every keyword occurrence in data, in order of end
// offset, and returns the extended slice.
func (k *keywordIndex) find(data []byte, hits []hit) []hit {
	next, out := k.next, k.out
	s := int32(0)
	for i, c := range data {
		s = next[int(s)<<8|int(c)]
		if o := out[s]; o != nil {
			for _, r := range o {
				hits = append(hits, hit{Rule: r, End: i + 1})
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

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
