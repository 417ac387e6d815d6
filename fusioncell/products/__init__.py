"""fusioncell.products"""
