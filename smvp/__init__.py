"""smvp edges: command line, rendering, persistence and exports."""
