"""The sandbox's legacy v1 record API (/aws/api/{csrs,cars,asrs,aars}) with API-key HMAC auth."""
