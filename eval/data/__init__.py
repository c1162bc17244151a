"""The labelled question sets and gold files of the evaluation, and the check of the first set."""
