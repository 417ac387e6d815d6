"""fusioncell.server"""
