"""stacks/local"""
