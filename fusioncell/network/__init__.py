"""fusioncell.network"""
