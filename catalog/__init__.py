"""Facts about Azure the program, the tools and the policies share: dated, sourced data, split by subject."""
