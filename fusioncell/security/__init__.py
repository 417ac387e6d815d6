"""fusioncell.security"""
