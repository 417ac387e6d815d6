"""fusioncell.resolve"""
