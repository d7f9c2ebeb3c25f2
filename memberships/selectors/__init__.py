"""Read side: querysets and summaries that pages need, with a constant number of queries."""
