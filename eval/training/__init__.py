"""Trainers that fit the files the service reads at run time (query adapter, answer support, relevance)."""
