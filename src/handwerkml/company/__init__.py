"""The firm itself: its settings (rates, percentages, VAT) and its price calculation."""
