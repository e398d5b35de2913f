"""The simulated eMRTD chip: every protocol the reader speaks, the chip speaks too."""
