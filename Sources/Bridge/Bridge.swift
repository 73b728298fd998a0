// Bridge: the domain.
