"""fusioncell.model"""
