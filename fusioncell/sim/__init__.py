"""fusioncell.sim"""
