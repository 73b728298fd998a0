// Templates: the Liquid subset (in progress).
