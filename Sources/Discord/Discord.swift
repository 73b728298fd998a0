/// Discord's wire protocol: Gateway, interactions and REST. (Being written; see issue 16.)
public enum Discord {}
