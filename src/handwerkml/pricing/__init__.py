"""Price prediction: a per-tenant XGBoost model with intervals and explanations, and a
transparent estimate from similar finished projects where there is too little data."""
