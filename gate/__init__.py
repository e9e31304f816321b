"""The offline preview gate: synthesize a stack under the mock engine and judge it with the policy pack."""
