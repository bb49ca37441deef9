"""Any-signal fusion model (one branch per signal input) and the branch code it shares with
``multimodal_lstm``."""
