"""Rules both faces (the CLI and the TUI) share, stated once so both decide and word things the
same way: who a broadcast reaches (`broadcast`), how panes, states and times read to people
(`labels`), which receipts count as delivered (`receipts`), how an event and a link's
connection read (`events`, `connection`), and the demo fleet (`demo`).

Below every face and above the core: these modules import only core (and rich's Text, which
both faces draw with).
"""
