package access

// matchesSet evaluates c against a multivalued key holding values (at
// least one), as IAM does ("Set operators for multivalued context keys",
// IAM User Guide):
//   - ForAnyValue: true when at least one request value satisfies the
//     operator (a negated operator: at least one value matches none of
//     the policy's values);
//   - ForAllValues: true when every request value satisfies it;
//   - no set operator: a positive operator holds when any value matches,
//     a negated one when none does (the negation of the positive form).
//
// A value of the wrong type for the operator satisfies nothing; Null
// holds "false" for a present key.
func (c *condition) matchesSet(values []string) bool {
	if c.kind == opNull {
		for _, want := range c.values {
			if want == "false" {
				return true
			}
		}
		return false
	}
	satisfied := func(v string) bool {
		hit, usable := c.test(v)
		return usable && hit != c.negated
	}
	switch c.set {
	case setForAllValues:
		for _, v := range values {
			if !satisfied(v) {
				return false
			}
		}
		return true
	case setForAnyValue:
		for _, v := range values {
			if satisfied(v) {
				return true
			}
		}
		return false
	}
	for _, v := range values {
		if hit, usable := c.test(v); usable && hit {
			return !c.negated
		}
	}
	return c.negated
}
