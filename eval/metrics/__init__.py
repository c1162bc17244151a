"""Scorers: retrieval, ask, duties, everyday questions, exams, library and unseen styles, each against its gold."""
