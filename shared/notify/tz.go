package notify

import "time"

var jst = time.FixedZone("JST", 9*60*60)
