module identity-graph/bench/loadgen

go 1.21
