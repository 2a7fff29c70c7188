"""Entry points above the flows: what a person starts (the demo; `iku` itself lives in
iku/cli/). Only this layer and the CLI may import flows (tests/test_layers.py)."""
