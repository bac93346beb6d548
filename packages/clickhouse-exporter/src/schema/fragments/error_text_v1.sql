-- error.type, else the first exception event's exception.type, lower-cased.
lower(if(SpanAttributes['error.type'] != '', SpanAttributes['error.type'],
    Events.Attributes[indexOf(Events.Name, 'exception')]['exception.type']))
