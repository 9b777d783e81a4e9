// Conformance suites for implementers of core's interfaces. Run them inside vitest.
export {};
