"""fusioncell.spacetime"""
