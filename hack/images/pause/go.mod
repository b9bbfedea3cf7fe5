module topo.dev/pause

go 1.22
