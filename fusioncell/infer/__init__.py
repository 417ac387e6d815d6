"""fusioncell.infer"""
