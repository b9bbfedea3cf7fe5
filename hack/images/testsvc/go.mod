module topo.dev/testsvc

go 1.22
